-- Invoice lines split by product where a month's usage names more than one product:
-- each usage line carries the product it bills (null: unspecified).
ALTER TABLE "InvoiceLine" ADD COLUMN "product" TEXT;
