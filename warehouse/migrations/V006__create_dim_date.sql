-- Calendar + fiscal dimension. Fiscal years start on 1 February and are named by the
-- calendar year they start in (retail/NRF convention): FY2024 = Feb 2024 .. Jan 2025.
create table dw.dim_date (
    date_key integer primary key,
    calendar_date date not null unique,
    day_of_week smallint not null,
    day_name text not null,
    is_weekend boolean not null,
    day_of_month smallint not null,
    day_of_year smallint not null,
    iso_week smallint not null,
    iso_year smallint not null,
    month_number smallint not null,
    month_name text not null,
    year_month text not null,
    month_start_date date not null,
    quarter_number smallint not null,
    year_quarter text not null,
    year_number smallint not null,
    fiscal_year smallint not null,
    fiscal_quarter smallint not null,
    fiscal_month smallint not null,
    is_holiday_usa boolean not null,
    is_holiday_can boolean not null,
    is_holiday_fra boolean not null,
    is_holiday_deu boolean not null,
    is_holiday_mex boolean not null,
    is_holiday_any boolean not null
);

comment on table dw.dim_date is 'One row per calendar day: calendar, fiscal (year starts 1 Feb) and holiday attributes.';
comment on column dw.dim_date.date_key is 'Surrogate key: the date as an integer yyyymmdd.';
comment on column dw.dim_date.calendar_date is 'The day.';
comment on column dw.dim_date.day_of_week is 'ISO day of week: 1 = Monday .. 7 = Sunday.';
comment on column dw.dim_date.day_name is 'Day name in English (Monday..Sunday).';
comment on column dw.dim_date.is_weekend is 'True on Saturday and Sunday.';
comment on column dw.dim_date.day_of_month is 'Day of the month, 1..31.';
comment on column dw.dim_date.day_of_year is 'Day of the year, 1..366.';
comment on column dw.dim_date.iso_week is 'ISO 8601 week number.';
comment on column dw.dim_date.iso_year is 'ISO 8601 week-numbering year.';
comment on column dw.dim_date.month_number is 'Calendar month, 1..12.';
comment on column dw.dim_date.month_name is 'Month name in English.';
comment on column dw.dim_date.year_month is 'Calendar month as text, e.g. 2024-03.';
comment on column dw.dim_date.month_start_date is 'First day of the calendar month.';
comment on column dw.dim_date.quarter_number is 'Calendar quarter, 1..4.';
comment on column dw.dim_date.year_quarter is 'Calendar quarter as text, e.g. 2024-Q1.';
comment on column dw.dim_date.year_number is 'Calendar year.';
comment on column dw.dim_date.fiscal_year is 'Fiscal year (starts 1 February, named by its starting year).';
comment on column dw.dim_date.fiscal_quarter is 'Fiscal quarter, 1..4 (Q1 = Feb..Apr).';
comment on column dw.dim_date.fiscal_month is 'Fiscal month, 1..12 (1 = February).';
comment on column dw.dim_date.is_holiday_usa is 'National public holiday in the United States.';
comment on column dw.dim_date.is_holiday_can is 'National public holiday in Canada.';
comment on column dw.dim_date.is_holiday_fra is 'National public holiday in France.';
comment on column dw.dim_date.is_holiday_deu is 'National public holiday in Germany.';
comment on column dw.dim_date.is_holiday_mex is 'National public holiday in Mexico.';
comment on column dw.dim_date.is_holiday_any is 'Public holiday in at least one supported country.';

create function dw.populate_dim_date(start_date date, end_date date)
returns void
language sql
as $$
    select dw.populate_holidays(
        extract(year from start_date)::integer, extract(year from end_date)::integer
    );
    insert into dw.dim_date
    select
        to_char(d, 'YYYYMMDD')::integer,
        d,
        extract(isodow from d)::smallint,
        trim(to_char(d, 'Day')),
        extract(isodow from d) in (6, 7),
        extract(day from d)::smallint,
        extract(doy from d)::smallint,
        extract(week from d)::smallint,
        extract(isoyear from d)::smallint,
        extract(month from d)::smallint,
        trim(to_char(d, 'Month')),
        to_char(d, 'YYYY-MM'),
        date_trunc('month', d)::date,
        extract(quarter from d)::smallint,
        to_char(d, 'YYYY-"Q"Q'),
        extract(year from d)::smallint,
        (extract(year from d) - case when extract(month from d) < 2 then 1 else 0 end)::smallint,
        ((extract(month from d)::integer + 10) % 12 / 3 + 1)::smallint,
        ((extract(month from d)::integer + 10) % 12 + 1)::smallint,
        coalesce(h.usa, false),
        coalesce(h.can, false),
        coalesce(h.fra, false),
        coalesce(h.deu, false),
        coalesce(h.mex, false),
        h.holiday_date is not null
    from generate_series(start_date, end_date, interval '1 day') as g (ts)
    cross join lateral (select g.ts::date as d) as dd
    left join (
        select
            holiday_date,
            bool_or(country_code = 'USA') as usa,
            bool_or(country_code = 'CAN') as can,
            bool_or(country_code = 'FRA') as fra,
            bool_or(country_code = 'DEU') as deu,
            bool_or(country_code = 'MEX') as mex
        from dw.dim_holiday
        group by holiday_date
    ) as h on dd.d = h.holiday_date
    on conflict (date_key) do nothing
$$;

comment on function dw.populate_dim_date(date, date) is
'Insert the days of a range (and their holidays) into dim_date; existing days are kept.';

select dw.populate_dim_date('2020-01-01', '2035-12-31');
