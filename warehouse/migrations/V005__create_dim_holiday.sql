-- National public holidays per country, computed from rules (fixed dates, n-th
-- weekday of a month, Easter-based). Actual dates, not "observed" weekday shifts.
create table dw.dim_holiday (
    holiday_date date not null,
    country_code text not null,
    holiday_name text not null,
    primary key (holiday_date, country_code, holiday_name)
);

comment on table dw.dim_holiday is 'National public holidays per country (one row per holiday and country).';
comment on column dw.dim_holiday.holiday_date is 'Date of the holiday.';
comment on column dw.dim_holiday.country_code is 'ISO 3166 alpha-3 country code.';
comment on column dw.dim_holiday.holiday_name is 'Name of the holiday in English.';

create function dw.easter_sunday(yr integer)
returns date
language plpgsql
immutable
strict
as $$
declare
    -- Anonymous Gregorian algorithm (Meeus/Jones/Butcher).
    a integer := yr % 19;
    b integer := yr / 100;
    c integer := yr % 100;
    d integer := b / 4;
    e integer := b % 4;
    f integer := (b + 8) / 25;
    g integer := (b - f + 1) / 3;
    h integer := (19 * a + b - d - g + 15) % 30;
    i integer := c / 4;
    k integer := c % 4;
    l integer := (32 + 2 * e + 2 * i - h - k) % 7;
    m integer := (a + 11 * h + 22 * l) / 451;
begin
    return make_date(yr, (h + l - 7 * m + 114) / 31, ((h + l - 7 * m + 114) % 31) + 1);
end
$$;

comment on function dw.easter_sunday(integer) is 'Date of Easter Sunday (Gregorian) in a year.';

create function dw.nth_weekday(yr integer, mon integer, iso_dow integer, n integer)
returns date
language sql
immutable
strict
as $$
    -- n >= 1: the n-th such weekday of the month; n = -1: the last one.
    select case
        when n > 0 then
            make_date(yr, mon, 1)
            + ((iso_dow - extract(isodow from make_date(yr, mon, 1))::integer + 7) % 7)
            + 7 * (n - 1)
        else
            (make_date(yr, mon, 1) + interval '1 month' - interval '1 day')::date
            - ((extract(isodow from (make_date(yr, mon, 1) + interval '1 month' - interval '1 day'))::integer
                - iso_dow + 7) % 7)
    end
$$;

comment on function dw.nth_weekday(integer, integer, integer, integer) is
'The n-th (or last, n = -1) ISO weekday (1 = Monday) of a month.';

create function dw.populate_holidays(from_year integer, to_year integer)
returns void
language sql
as $$
    insert into dw.dim_holiday (holiday_date, country_code, holiday_name)
    select h.holiday_date, h.country_code, h.holiday_name
    from generate_series(from_year, to_year) as y (yr)
    cross join lateral (
        select dw.easter_sunday(y.yr) as easter
    ) as e
    cross join lateral (
        values
        (make_date(y.yr, 1, 1), 'USA', 'New Year''s Day'),
        (dw.nth_weekday(y.yr, 1, 1, 3), 'USA', 'Martin Luther King Jr. Day'),
        (dw.nth_weekday(y.yr, 2, 1, 3), 'USA', 'Washington''s Birthday'),
        (dw.nth_weekday(y.yr, 5, 1, -1), 'USA', 'Memorial Day'),
        (case when y.yr >= 2021 then make_date(y.yr, 6, 19) end, 'USA', 'Juneteenth'),
        (make_date(y.yr, 7, 4), 'USA', 'Independence Day'),
        (dw.nth_weekday(y.yr, 9, 1, 1), 'USA', 'Labor Day'),
        (dw.nth_weekday(y.yr, 10, 1, 2), 'USA', 'Columbus Day'),
        (make_date(y.yr, 11, 11), 'USA', 'Veterans Day'),
        (dw.nth_weekday(y.yr, 11, 4, 4), 'USA', 'Thanksgiving Day'),
        (make_date(y.yr, 12, 25), 'USA', 'Christmas Day'),
        (make_date(y.yr, 1, 1), 'CAN', 'New Year''s Day'),
        (e.easter - 2, 'CAN', 'Good Friday'),
        (make_date(y.yr, 5, 24) - ((extract(isodow from make_date(y.yr, 5, 24))::integer + 6) % 7),
            'CAN', 'Victoria Day'),
        (make_date(y.yr, 7, 1), 'CAN', 'Canada Day'),
        (dw.nth_weekday(y.yr, 9, 1, 1), 'CAN', 'Labour Day'),
        (case when y.yr >= 2021 then make_date(y.yr, 9, 30) end,
            'CAN', 'National Day for Truth and Reconciliation'),
        (dw.nth_weekday(y.yr, 10, 1, 2), 'CAN', 'Thanksgiving'),
        (make_date(y.yr, 11, 11), 'CAN', 'Remembrance Day'),
        (make_date(y.yr, 12, 25), 'CAN', 'Christmas Day'),
        (make_date(y.yr, 12, 26), 'CAN', 'Boxing Day'),
        (make_date(y.yr, 1, 1), 'FRA', 'Jour de l''an'),
        (e.easter + 1, 'FRA', 'Lundi de Pâques'),
        (make_date(y.yr, 5, 1), 'FRA', 'Fête du Travail'),
        (make_date(y.yr, 5, 8), 'FRA', 'Victoire 1945'),
        (e.easter + 39, 'FRA', 'Ascension'),
        (e.easter + 50, 'FRA', 'Lundi de Pentecôte'),
        (make_date(y.yr, 7, 14), 'FRA', 'Fête nationale'),
        (make_date(y.yr, 8, 15), 'FRA', 'Assomption'),
        (make_date(y.yr, 11, 1), 'FRA', 'Toussaint'),
        (make_date(y.yr, 11, 11), 'FRA', 'Armistice 1918'),
        (make_date(y.yr, 12, 25), 'FRA', 'Noël'),
        (make_date(y.yr, 1, 1), 'DEU', 'Neujahr'),
        (e.easter - 2, 'DEU', 'Karfreitag'),
        (e.easter + 1, 'DEU', 'Ostermontag'),
        (make_date(y.yr, 5, 1), 'DEU', 'Tag der Arbeit'),
        (e.easter + 39, 'DEU', 'Christi Himmelfahrt'),
        (e.easter + 50, 'DEU', 'Pfingstmontag'),
        (make_date(y.yr, 10, 3), 'DEU', 'Tag der Deutschen Einheit'),
        (make_date(y.yr, 12, 25), 'DEU', '1. Weihnachtstag'),
        (make_date(y.yr, 12, 26), 'DEU', '2. Weihnachtstag'),
        (make_date(y.yr, 1, 1), 'MEX', 'Año Nuevo'),
        (dw.nth_weekday(y.yr, 2, 1, 1), 'MEX', 'Día de la Constitución'),
        (dw.nth_weekday(y.yr, 3, 1, 3), 'MEX', 'Natalicio de Benito Juárez'),
        (make_date(y.yr, 5, 1), 'MEX', 'Día del Trabajo'),
        (make_date(y.yr, 9, 16), 'MEX', 'Día de la Independencia'),
        (dw.nth_weekday(y.yr, 11, 1, 3), 'MEX', 'Día de la Revolución'),
        (make_date(y.yr, 12, 25), 'MEX', 'Navidad')
    ) as h (holiday_date, country_code, holiday_name)
    where h.holiday_date is not null
    on conflict do nothing
$$;

comment on function dw.populate_holidays(integer, integer) is
'Insert the holidays of every supported country for a range of years (idempotent).';
