#ifndef MINICON_RESOLVE_H
#define MINICON_RESOLVE_H
enum create_kind { CREATE_NONE = 0, CREATE_DIR = 1, CREATE_FILE = 2 };
/* Opens `path` inside the directory `rootfd` as if it were "/": no symlink or ".." leads out.
 * Missing components are created (directories; the last one a file when kind is CREATE_FILE).
 * Returns an O_PATH fd or -1 with errno. */
int open_in_root(int rootfd, const char *path, enum create_kind kind);
/* Opens the parent directory of `path` inside rootfd (creating it) and points *base at the last name. */
int open_parent_in_root(int rootfd, const char *path, const char **base);
#endif
