/* The command table and its entry point. */
#ifndef CLI_CLI_H
#define CLI_CLI_H
int cli_main(int argc, char **argv);
#endif
