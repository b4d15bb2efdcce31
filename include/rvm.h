/* rvm.h -- the classic RVM interface; see <lrvm.h>.  */
#include <lrvm.h>
