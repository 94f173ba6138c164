package dev.tessera.server;

/**
 * A request the API refuses, with the HTTP status and the OpenAI error fields ({@code type}, {@code param},
 * {@code code}) that clients show to users.
 */
final class ApiError extends RuntimeException {
    final int status;
    final String type;
    final String param;
    final String code;
    /** For 405: the method the path takes. */
    String allow;

    ApiError(int status, String type, String param, String code, String message) {
        super(message);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
    }

    ApiError allowing(String method) {
        this.allow = method;
        return this;
    }

    static ApiError invalid(String param, String message) {
        return new ApiError(400, "invalid_request_error", param, null, message);
    }

    static ApiError unsupported(String param, String message) {
        return new ApiError(400, "invalid_request_error", param, "unsupported_parameter", message);
    }
}
