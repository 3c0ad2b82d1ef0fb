-- Product / surface: a record and an authorize may name the product the request came
-- from (claude, claude_code, api, or a name the org declared). Stored on the event and
-- on a reservation (whose product cap row it holds against); null = unspecified.
ALTER TABLE "UsageEvent" ADD COLUMN "product" TEXT;
ALTER TABLE "Reservation" ADD COLUMN "product" TEXT;

-- Month-to-date extra usage of one member on one product (subject "<product>:<memberId>"),
-- what a product cap is checked and held against.
ALTER TYPE "SpendScope" ADD VALUE 'product';

-- The org's products: declares an org-defined name, and carries the default per-member cap.
CREATE TABLE "OrgProduct" (
    "orgId" TEXT NOT NULL,
    "product" TEXT NOT NULL,
    "memberCapNanos" BIGINT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "OrgProduct_pkey" PRIMARY KEY ("orgId","product")
);

CREATE TABLE "MemberProductCap" (
    "orgId" TEXT NOT NULL,
    "product" TEXT NOT NULL,
    "memberId" TEXT NOT NULL,
    "capNanos" BIGINT,

    CONSTRAINT "MemberProductCap_pkey" PRIMARY KEY ("orgId","product","memberId")
);

CREATE INDEX "MemberProductCap_memberId_idx" ON "MemberProductCap"("memberId");

ALTER TABLE "OrgProduct" ADD CONSTRAINT "OrgProduct_orgId_fkey" FOREIGN KEY ("orgId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "MemberProductCap" ADD CONSTRAINT "MemberProductCap_orgId_product_fkey" FOREIGN KEY ("orgId", "product") REFERENCES "OrgProduct"("orgId", "product") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "MemberProductCap" ADD CONSTRAINT "MemberProductCap_memberId_fkey" FOREIGN KEY ("memberId") REFERENCES "Member"("id") ON DELETE CASCADE ON UPDATE CASCADE;
