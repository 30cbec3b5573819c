x = {{ a | b }};
x = {{ a | b }};
x = {{ a | b }};
pad;pad;pad;pad;pad;pad;pad;pad;pad;pad;pad;pad;pad;pad;pad;pad;pad;pad;pad;pad;pad;pad;pad;pad;pad;pad;pad;pad;pad;pad;pad;pad;pad;pad;pad;pad;pad;pad;pad;pad;pad;pad;pad;pad;pad;pad;pad;pad;pad;pad;
{{r: 1 | 2}}{{=r}}{{=r}}{{=r}}{{=r}}{{=r}}{{=r}}{{=r}}{{=r}}{{=r}}{{=r}}{{=r}}{{=r}}{{=r}}{{=r}}{{=r}}{{=r}}{{=r}}{{=r}}{{=r}}{{=r}}
