-- btree_gist lets an exclusion constraint combine "same natural id" (=) with
-- "overlapping validity" (&&), which is how SCD2 dimensions forbid overlaps.
-- It is a trusted extension (the database's CREATE privilege suffices); it gets its
-- own schema because PUBLIC has no rights on schema public here.
create schema if not exists ext;
comment on schema ext is 'Extensions used by the warehouse (btree_gist). Not for BI.';
create extension if not exists btree_gist schema ext;
