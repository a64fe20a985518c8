-- Sales channels (retail_kpi.schemas.CHANNELS) plus the unknown member; fixed keys.
create table dw.dim_channel (
    channel_key smallint primary key,
    channel_code text not null unique,
    channel_name text not null,
    is_online boolean not null
);

comment on table dw.dim_channel is 'Sales channels (web, mobile app, store). Key -1 = unknown.';
comment on column dw.dim_channel.channel_key is 'Surrogate key (fixed; -1 = unknown channel).';
comment on column dw.dim_channel.channel_code is 'Channel code as in the source data: web, mobile, store.';
comment on column dw.dim_channel.channel_name is 'Channel name for display.';
comment on column dw.dim_channel.is_online is 'True for digital channels (web, mobile).';

insert into dw.dim_channel (channel_key, channel_code, channel_name, is_online) values
(-1, 'UNKNOWN', 'Unknown', false),
(1, 'web', 'Web', true),
(2, 'mobile', 'Mobile app', true),
(3, 'store', 'Store', false);
