CREATE TYPE money_amount AS (currency char(3), cents bigint);
CREATE TABLE payments (id int PRIMARY KEY, amount money_amount);
