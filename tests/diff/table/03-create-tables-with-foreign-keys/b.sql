CREATE TABLE authors (id int PRIMARY KEY);
CREATE TABLE books (id int PRIMARY KEY, author_id int NOT NULL REFERENCES authors (id) ON DELETE CASCADE);
CREATE TABLE reviews (id int PRIMARY KEY, book_id int REFERENCES books, stars smallint CHECK (stars BETWEEN 1 AND 5));
