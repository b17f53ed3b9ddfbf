UPDATE orders o SET note = c.email FROM customers c WHERE c.id = o.customer_id AND o.id < 50;
