UPDATE orders SET status = 'paid' WHERE id < 100;
