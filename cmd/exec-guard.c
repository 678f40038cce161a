/* exec-guard.c - eddy-exec-guard: the job guard as a program of its own
 * (exec/guard.h), so that starting one per job costs an exec of a small
 * binary rather than of the broker.  The exec module runs it with the
 * guard's arguments, which a constructor in exec/guard.c takes before
 * main () runs; main () is reached only by someone else.
 */
#include <stdio.h>

int main (void)
{
    fputs ("eddy-exec-guard: the exec module's job guard; not for running by hand\n", stderr);
    return 125;
}
