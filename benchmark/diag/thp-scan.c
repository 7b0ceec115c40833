/* Diagnosis only (not part of the benchmark): the cost of first-touching a 153.6 MB store with 4 KiB pages vs
 * MADV_HUGEPAGE, and an AVX-512 dot scan (same structure as vgent-core simd/avx512.rs) over each.
 * Build and run: gcc -O2 -o /tmp/thp-scan benchmark/diag/thp-scan.c && /tmp/thp-scan */
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#define N 100000
#define D 384
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1e3+t.tv_nsec/1e6;}
__attribute__((target("avx512f"))) static float dot(const float*a,const float*b){__m512 s0=_mm512_setzero_ps(),s1=s0,s2=s0,s3=s0;for(int i=0;i<D;i+=64){s0=_mm512_fmadd_ps(_mm512_loadu_ps(a+i),_mm512_loadu_ps(b+i),s0);s1=_mm512_fmadd_ps(_mm512_loadu_ps(a+i+16),_mm512_loadu_ps(b+i+16),s1);s2=_mm512_fmadd_ps(_mm512_loadu_ps(a+i+32),_mm512_loadu_ps(b+i+32),s2);s3=_mm512_fmadd_ps(_mm512_loadu_ps(a+i+48),_mm512_loadu_ps(b+i+48),s3);}return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(s0,s1),_mm512_add_ps(s2,s3)));}
static float*alloc(size_t bytes,int huge){void*p=mmap(0,bytes+(2<<20),PROT_READ|PROT_WRITE,MAP_PRIVATE|MAP_ANONYMOUS,-1,0);char*q=(char*)(((size_t)p+(2<<20)-1)&~((size_t)(2<<20)-1));if(huge)madvise(q,bytes,MADV_HUGEPAGE);return (float*)q;}
int main(){size_t bytes=(size_t)N*D*4;float*src=alloc(bytes,0);for(size_t i=0;i<(size_t)N*D;i++)src[i]=(i%1000)*0.001f+0.01f;float q[D];for(int i=0;i<D;i++)q[i]=src[i];
for(int huge=0;huge<2;huge++){for(int r=0;r<3;r++){double t=now();float*dst=alloc(bytes,huge);memcpy(dst,src,bytes);double c=now()-t;
 double best=1e9,sum=0;volatile float sink=0;for(int k=0;k<30;k++){double t0=now();float m=-1;for(int j=0;j<N;j++){float s=dot(q,dst+(size_t)j*D);if(s>m)m=s;}sink+=m;double e=now()-t0;sum+=e;if(e<best)best=e;}

 printf("%s: fault+copy %.1f ms (%.2f GB/s); dot scan best %.2f mean %.2f ms\n",huge?"THP":"4K ",c,bytes/c/1e6,best,sum/30);munmap(dst,bytes);}}}
