CREATE TABLE m (k int, v text) PARTITION BY LIST (k);
CREATE TABLE m_one (k int, v text);
