// SPDX-License-Identifier: MIT
/* The library's own version, from the file VERSION (through the generated
 * memmirror_version.h), for programs that load a newer or older one. */
#include "memmirror.h"

const char *mmr_version(void)
{
	return MMR_VERSION_STRING;
}
