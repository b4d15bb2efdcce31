## doc/local.mk -- the lrvm manual (Texinfo) and the manual pages.

info_TEXINFOS = doc/lrvm.texi

# lrvm(1), lrvm(3), one page for each group of calls, and a one-line
# .so page for every other call, so that "man rvm_map" works.
dist_man_MANS = doc/lrvm.1 doc/lrvm.3 \
	doc/rvm_init.3 doc/rvm_open.3 doc/rvm_map_segment.3 \
	doc/rvm_begin.3 doc/rvm_strerror.3 \
	doc/rvm_map.3 doc/rvm_unmap.3 doc/rvm_destroy.3 \
	doc/rvm_begin_trans.3 doc/rvm_about_to_modify.3 \
	doc/rvm_commit_trans.3 doc/rvm_abort_trans.3 \
	doc/rvm_truncate_log.3 doc/rvm_verbose.3 \
	doc/rvm_close.3 doc/rvm_options_init.3 doc/rvm_stats.3 \
	doc/rvm_unmap_segment.3 doc/rvm_destroy_segment.3 \
	doc/rvm_modify.3 doc/rvm_set_range.3 doc/rvm_commit.3 \
	doc/rvm_abort.3 doc/rvm_flush.3 doc/rvm_truncate.3 \
	doc/rvm_errcode.3 doc/rvm_errmsg.3

# make distcheck builds the manual in HTML rather than DVI, so that it
# passes where TeX is not installed; make dvi and make pdf still work
# where it is.
AM_DISTCHECK_DVI_TARGET = html
