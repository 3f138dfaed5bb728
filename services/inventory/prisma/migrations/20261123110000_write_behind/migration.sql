-- CreateTable
CREATE TABLE "ProductCounter" (
    "sku" VARCHAR(32) NOT NULL,
    "views" BIGINT NOT NULL DEFAULT 0,
    "sold" BIGINT NOT NULL DEFAULT 0,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "ProductCounter_pkey" PRIMARY KEY ("sku")
);

-- CreateTable
CREATE TABLE "AppliedBatch" (
    "id" VARCHAR(200) NOT NULL,
    "shard" INTEGER NOT NULL,
    "increments" BIGINT NOT NULL,
    "appliedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AppliedBatch_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "AppliedBatch_appliedAt_idx" ON "AppliedBatch"("appliedAt");
