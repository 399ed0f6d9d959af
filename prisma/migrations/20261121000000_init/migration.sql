-- CreateTable
CREATE TABLE "Lot" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "capacity" INTEGER NOT NULL,
    "requireGateConfirmation" BOOLEAN NOT NULL DEFAULT false,
    "gateTimeoutSeconds" INTEGER NOT NULL DEFAULT 120,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "Space" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "lotId" TEXT NOT NULL,
    "number" INTEGER NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'FREE',
    "plate" TEXT,
    "holderKey" TEXT,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "Space_lotId_fkey" FOREIGN KEY ("lotId") REFERENCES "Lot" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Stay" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "key" TEXT NOT NULL,
    "lotId" TEXT NOT NULL,
    "spaceId" TEXT NOT NULL,
    "plate" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'ACTIVE',
    "enteredAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "releasedAt" DATETIME,
    "releaseKey" TEXT
);

-- CreateTable
CREATE TABLE "BlockedPlate" (
    "plate" TEXT NOT NULL PRIMARY KEY,
    "reason" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "EntryRecord" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "key" TEXT NOT NULL,
    "plate" TEXT NOT NULL,
    "lotId" TEXT NOT NULL,
    "spaceId" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'ACTIVE',
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "cancelledAt" DATETIME
);

-- CreateTable
CREATE TABLE "ExitRecord" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "key" TEXT NOT NULL,
    "plate" TEXT NOT NULL,
    "lotId" TEXT NOT NULL,
    "durationSeconds" INTEGER NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'ACTIVE',
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "cancelledAt" DATETIME
);

-- CreateTable
CREATE TABLE "CachedResponse" (
    "key" TEXT NOT NULL PRIMARY KEY,
    "value" TEXT NOT NULL,
    "storedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "FaultSwitch" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "point" TEXT NOT NULL,
    "match" TEXT NOT NULL DEFAULT '',
    "remaining" INTEGER,
    "message" TEXT NOT NULL DEFAULT 'injected fault',
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateIndex
CREATE UNIQUE INDEX "Space_holderKey_key" ON "Space"("holderKey");

-- CreateIndex
CREATE INDEX "Space_lotId_status_idx" ON "Space"("lotId", "status");

-- CreateIndex
CREATE UNIQUE INDEX "Space_lotId_number_key" ON "Space"("lotId", "number");

-- CreateIndex
CREATE UNIQUE INDEX "Space_lotId_plate_key" ON "Space"("lotId", "plate");

-- CreateIndex
CREATE UNIQUE INDEX "Stay_key_key" ON "Stay"("key");

-- CreateIndex
CREATE UNIQUE INDEX "Stay_releaseKey_key" ON "Stay"("releaseKey");

-- CreateIndex
CREATE INDEX "Stay_lotId_plate_status_idx" ON "Stay"("lotId", "plate", "status");

-- CreateIndex
CREATE UNIQUE INDEX "EntryRecord_key_key" ON "EntryRecord"("key");

-- CreateIndex
CREATE UNIQUE INDEX "ExitRecord_key_key" ON "ExitRecord"("key");

-- CreateIndex
CREATE UNIQUE INDEX "FaultSwitch_point_match_key" ON "FaultSwitch"("point", "match");

