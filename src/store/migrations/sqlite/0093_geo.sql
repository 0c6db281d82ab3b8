-- Geomarketing (issue 11, part 4): stores as records with coordinates, so
-- customers can be measured against the nearest one and segments can say
-- "within 20 km of the Lyon store". code is the short key segments use
-- (distance_km.<code>) and the value orders.store carries. Coordinates are
-- WGS84 degrees; when a store is created without them they come from its
-- postal code (data/geo, La Poste, ODbL).
CREATE TABLE stores (
    id          INTEGER PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    line1       TEXT,
    postal_code TEXT,
    city        TEXT,
    country     TEXT NOT NULL DEFAULT 'FR',
    latitude    REAL NOT NULL CHECK (latitude BETWEEN -90 AND 90),
    longitude   REAL NOT NULL CHECK (longitude BETWEEN -180 AND 180),
    active      INTEGER NOT NULL DEFAULT 1,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
