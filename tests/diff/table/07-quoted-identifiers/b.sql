CREATE TABLE "Order" ("Id" int PRIMARY KEY, "select" text, "User Name" varchar(40));
CREATE INDEX "Order by user" ON "Order" ("User Name");
