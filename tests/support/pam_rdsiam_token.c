/*
 * pam_rdsiam_token: a test-only PAM module that hands the *whole* password (an RDS IAM auth
 * token, 1-4 KB with a session token) to a verifier program on stdin.
 *
 * Why not pam_exec: pam_exec truncates the authtok at 511 bytes, so every token made with
 * temporary credentials would fail for a reason real RDS does not have.
 *
 * Service-file usage (paths must be absolute):
 *   auth required /abs/pam_rdsiam_token.so /abs/program [args...]
 * The program runs with a clean environment holding PAM_USER, PAM_SERVICE and PAM_RHOST, gets
 * PAM_USER appended as its last argument, reads the token on stdin (no trailing newline) and
 * must exit 0 to accept. Anything else (including failure to run it) is PAM_AUTH_ERR.
 *
 * Built by the test harness with: cc -shared -fPIC -o pam_rdsiam_token.so this.c -lpam
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <syslog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <security/pam_ext.h>
#include <security/pam_modules.h>

#define MAX_ARGS 32

static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

static const char *item_or_empty(pam_handle_t *pamh, int item)
{
    const void *value = NULL;
    if (pam_get_item(pamh, item, &value) != PAM_SUCCESS || value == NULL)
        return "";
    return (const char *)value;
}

/* "NAME=value" in fresh memory, or NULL (asprintf leaves its pointer undefined on failure). */
static char *env_entry(const char *prefix, const char *value)
{
    size_t a = strlen(prefix), b = strlen(value);
    char *entry = malloc(a + b + 1);
    if (entry != NULL) {
        memcpy(entry, prefix, a);
        memcpy(entry + a, value, b + 1);
    }
    return entry;
}

static int run_verifier(pam_handle_t *pamh, int argc, const char **argv, const char *user,
                        const char *token)
{
    if (argc < 1 || argc > MAX_ARGS - 2) {
        pam_syslog(pamh, LOG_ERR, "pam_rdsiam_token: expected 1..%d arguments", MAX_ARGS - 2);
        return PAM_AUTH_ERR;
    }

    /* Built before fork: the child must only call async-signal-safe functions. */
    char *env_user = env_entry("PAM_USER=", user);
    char *env_service = env_entry("PAM_SERVICE=", item_or_empty(pamh, PAM_SERVICE));
    char *env_rhost = env_entry("PAM_RHOST=", item_or_empty(pamh, PAM_RHOST));
    if (env_user == NULL || env_service == NULL || env_rhost == NULL) {
        free(env_user);
        free(env_service);
        free(env_rhost);
        return PAM_AUTH_ERR;
    }
    char *envp[] = {env_user, env_service, env_rhost, "PATH=/usr/bin:/bin", "LANG=C.UTF-8", NULL};
    char *child_argv[MAX_ARGS];
    int i;
    for (i = 0; i < argc; i++)
        child_argv[i] = (char *)argv[i];
    child_argv[i++] = (char *)user;
    child_argv[i] = NULL;

    int result = PAM_AUTH_ERR;
    int fds[2];
    if (pipe(fds) != 0)
        goto out;

    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        goto out;
    }
    if (pid == 0) {
        /* The backend may block or ignore signals; the verifier should start clean. */
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGPIPE, SIG_DFL);
        /* If the host had no stdin, pipe() may have returned fd 0 itself. */
        if (fds[0] != STDIN_FILENO) {
            dup2(fds[0], STDIN_FILENO);
            close(fds[0]);
        }
        close(fds[1]);
        execve(child_argv[0], child_argv, envp);
        _exit(127);
    }

    close(fds[0]);
    /* A verifier that exits before reading everything gives EPIPE here: then its exit status
     * decides. PostgreSQL backends already ignore SIGPIPE; ignoring it here too keeps any other
     * (single-threaded) host process alive. */
    struct sigaction ignore, previous;
    memset(&ignore, 0, sizeof ignore);
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    int restore = sigaction(SIGPIPE, &ignore, &previous) == 0;
    (void)write_all(fds[1], token, strlen(token));
    close(fds[1]);
    if (restore)
        sigaction(SIGPIPE, &previous, NULL);

    int status = 0;
    pid_t waited;
    do {
        waited = waitpid(pid, &status, 0);
    } while (waited < 0 && errno == EINTR);
    if (waited == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0)
        result = PAM_SUCCESS;
    else if (waited != pid)
        pam_syslog(pamh, LOG_ERR, "pam_rdsiam_token: waitpid failed: %s", strerror(errno));

out:
    free(env_user);
    free(env_service);
    free(env_rhost);
    return result;
}

PAM_EXTERN int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    (void)flags;
    const char *user = NULL;
    const char *token = NULL;
    if (pam_get_user(pamh, &user, NULL) != PAM_SUCCESS || user == NULL)
        return PAM_USER_UNKNOWN;
    /* pam_get_authtok runs the conversation: PostgreSQL answers with the client's password
     * message, unabridged. */
    if (pam_get_authtok(pamh, PAM_AUTHTOK, &token, NULL) != PAM_SUCCESS || token == NULL)
        return PAM_AUTH_ERR;
    return run_verifier(pamh, argc, argv, user, token);
}

PAM_EXTERN int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    (void)pamh;
    (void)flags;
    (void)argc;
    (void)argv;
    return PAM_SUCCESS;
}

PAM_EXTERN int pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    (void)pamh;
    (void)flags;
    (void)argc;
    (void)argv;
    return PAM_SUCCESS;
}
