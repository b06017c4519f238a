#include "attnscope/status.h"

#include <cstdio>

int main()
{
    std::puts("attnscope: the command line is being assembled");
    return 0;
}
