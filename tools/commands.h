/* SPDX-License-Identifier: MIT */
/* The subcommands of mmr, one file each: argv[0] is the subcommand name,
 * the return value is the exit status (0, 1 failure, 2 usage). */
#ifndef MMR_TOOL_COMMANDS_H
#define MMR_TOOL_COMMANDS_H

int mmr_cmd_probe(int argc, char **argv);	/* tools/probe.c */
int mmr_cmd_demo(int argc, char **argv);	/* tools/demo.c */
int mmr_cmd_footprint(int argc, char **argv);	/* tools/footprint_cmd.c */

#endif
