-- CreateEnum
CREATE TYPE "ReservationStatus" AS ENUM ('reserved', 'released');

-- CreateTable
CREATE TABLE "Stock" (
    "sku" VARCHAR(32) NOT NULL,
    "total" INTEGER NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "Stock_pkey" PRIMARY KEY ("sku")
);

-- CreateTable
CREATE TABLE "Reservation" (
    "id" BIGSERIAL NOT NULL,
    "orderId" VARCHAR(64) NOT NULL,
    "sku" VARCHAR(32) NOT NULL,
    "qty" INTEGER NOT NULL,
    "status" "ReservationStatus" NOT NULL DEFAULT 'reserved',
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "releasedAt" TIMESTAMPTZ(3),

    CONSTRAINT "Reservation_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Reservation_sku_status_idx" ON "Reservation"("sku", "status");

-- CreateIndex
CREATE UNIQUE INDEX "Reservation_orderId_sku_key" ON "Reservation"("orderId", "sku");

-- AddForeignKey
ALTER TABLE "Reservation" ADD CONSTRAINT "Reservation_sku_fkey" FOREIGN KEY ("sku") REFERENCES "Stock"("sku") ON DELETE RESTRICT ON UPDATE CASCADE;
