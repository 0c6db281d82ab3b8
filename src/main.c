/* relatio: the command-line entry point; commands live in src/cli/. */
#include "cli/cli.h"

int main(int argc, char **argv)
{
    return cli_main(argc, argv);
}
