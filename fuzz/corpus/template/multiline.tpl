x;
    {{loop:
    for (;;)
        f();
    |
    while (1)
        f();
    }}
y;
{{=loop}}
