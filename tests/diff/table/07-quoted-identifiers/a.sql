CREATE TABLE "Order" ("Id" int PRIMARY KEY, "select" text);
