/* mpi-ring.c - an MPI program for test/integration/t0060-pmi.sh, built by
 * the test with mpicc: each rank says who it is and where, an
 * MPI_Allreduce sums the ranks, and an MPI_Sendrecv ring passes each
 * rank's number to its right neighbour.
 */
#include <mpi.h>
#include <stdio.h>

int main (int argc, char **argv)
{
    int rank, size, sum = 0, from = -1, len;
    char host[MPI_MAX_PROCESSOR_NAME];

    MPI_Init (&argc, &argv);
    MPI_Comm_rank (MPI_COMM_WORLD, &rank);
    MPI_Comm_size (MPI_COMM_WORLD, &size);
    MPI_Get_processor_name (host, &len);
    MPI_Allreduce (&rank, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    int right = (rank + 1) % size, left = (rank + size - 1) % size;
    MPI_Sendrecv (&rank, 1, MPI_INT, right, 0, &from, 1, MPI_INT, left, 0, MPI_COMM_WORLD,
                  MPI_STATUS_IGNORE);
    printf ("rank %d of %d on %s: sum %d, from left %d\n", rank, size, host, sum, from);
    MPI_Finalize ();
    return 0;
}
