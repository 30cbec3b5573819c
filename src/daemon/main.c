#include <stdio.h>
int main(void)
{
	fputs("forewarnd: not built yet\n", stderr);
	return 1;
}
