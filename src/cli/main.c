#include <stdio.h>
int main(void)
{
	fputs("forewarn: not built yet\n", stderr);
	return 1;
}
