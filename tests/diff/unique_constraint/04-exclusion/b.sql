CREATE TABLE booking (room int, during tsrange, EXCLUDE USING gist (during WITH &&));
