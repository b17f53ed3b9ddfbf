DROP TABLE order_tags;
