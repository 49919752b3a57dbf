/* fc_cholesky.h: Cholesky factorization and triangular solves of small SPD systems, in
 * double (fc_cholesky_f64, ...: ProbConserv always, Kalman filters stored as float64) and
 * in float (fc_cholesky_f32, ...: Kalman filters stored as float32), from one source,
 * fc_cholesky_real.h. */
#ifndef FC_CHOLESKY_H
#define FC_CHOLESKY_H

#include "fc_math.h"

#define FC_CR double
#define FC_CRN(name) name##_f64
#define FC_CR_RSQRT fc_rsqrt_pos
#define FC_CR_RTOL 1e-13 /* double's 2.2e-16 times the sizes solved here, with margin */
#define FC_CR_HUGE 1e300
#include "fc_cholesky_real.h"
#undef FC_CR
#undef FC_CRN
#undef FC_CR_RSQRT
#undef FC_CR_RTOL
#undef FC_CR_HUGE

#define FC_CR float
#define FC_CRN(name) name##_f32
#define FC_CR_RSQRT fc_rsqrtf_pos
#define FC_CR_RTOL 1e-6f /* float's 1.2e-7 times the sizes solved here */
#define FC_CR_HUGE 1e37f
#include "fc_cholesky_real.h"
#undef FC_CR
#undef FC_CRN
#undef FC_CR_RSQRT
#undef FC_CR_RTOL
#undef FC_CR_HUGE

#endif
