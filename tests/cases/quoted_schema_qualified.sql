ALTER TABLE ONLY public."orders" ADD COLUMN "Mixed Case" integer;
