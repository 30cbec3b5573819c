char buf[{{size: 0x10 | 16}}];
memset(buf, 0, {{=size}});
int {{ retries | attempts | tries }} = 3;
