CREATE TABLE temp_import (id int, payload jsonb);
