-- Learned receiver coverage (issue 13): per AIS receiver, the grid cells where it has heard
-- reports, with how many and when. The detector adds what it heard in batches (one statement
-- per flush) and loads the grid of its configured cell size at start. Cell (row, col) spans
-- [row, row + 1) x [col, col + 1) times the cell size in degrees of latitude and longitude.
CREATE TABLE IF NOT EXISTS receiver_coverage (
    sensor_id    text NOT NULL,
    cell_udeg    integer NOT NULL CHECK (cell_udeg > 0),
    cell_row     integer NOT NULL,
    cell_col     integer NOT NULL,
    reports      bigint NOT NULL CHECK (reports > 0),
    first_heard  timestamptz NOT NULL,
    last_heard   timestamptz NOT NULL,
    PRIMARY KEY (sensor_id, cell_udeg, cell_row, cell_col),
    CHECK (first_heard <= last_heard)
);
