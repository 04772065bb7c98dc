// Compiled with -Werror and no warning flags of its own: the unused parameter is a -Wextra
// warning, so this file stops the build if weave's -Wextra reached the parent's targets.
int weave_warning_probe(int unused) { return 0; }
