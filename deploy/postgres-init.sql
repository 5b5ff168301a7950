-- The PostgreSQL container's first start (docker-compose.yml): one database for the project's
-- own tables (telemetry, gateway, verification; each package migrates its own) and one for
-- Rasa's trackers, which Rasa's SQL tracker store creates its table in.
CREATE DATABASE rasa OWNER cx;
