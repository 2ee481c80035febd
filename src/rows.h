/* rows.h - (being written) */
#ifndef KX_ROWS_H
#define KX_ROWS_H
#endif
