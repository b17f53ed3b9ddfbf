ALTER TABLE orders ADD CONSTRAINT quantity_positive CHECK (quantity > 0) NOT VALID;
ALTER TABLE orders RENAME CONSTRAINT quantity_positive TO quantity_gt_zero;
