/* eddy-shell.c - the job shell as a program of its own: the job guard of
 * exec/guard.h, which forks a job's tasks on one rank and reports them to
 * the exec module.  Its own program so that starting one per job costs an
 * exec of a small binary rather than of the broker, and so that eddy-imp's
 * allowed-shells can name it for jobs of other users.  The exec module runs
 * it with the guard's arguments, which a constructor in exec/guard.c takes
 * before main () runs; main () is reached only by someone else.
 */
#include <stdio.h>

int main (void)
{
    fputs ("eddy-shell: the exec module's job shell; not for running by hand\n", stderr);
    return 125;
}
