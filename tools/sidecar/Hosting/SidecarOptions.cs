using Microsoft.Extensions.Logging;

namespace Storebridge.Sidecar.Hosting;

/// <summary>Settings of one runtime (one app). Mirrors the daprd flags.</summary>
public sealed class SidecarOptions
{
    /// <summary><c>--app-id</c>: the app this runtime serves.</summary>
    public required string AppId { get; init; }

    /// <summary><c>--app-port</c>: where the app listens (null: no app channel, no subscriptions/bindings).</summary>
    public int? AppPort { get; init; }

    /// <summary>
    /// <c>--app-protocol</c>: <c>http</c> (HTTP/1.1), <c>h2c</c> (HTTP/2 cleartext: one app port for the app's
    /// HTTP endpoints and its own gRPC services) or <c>grpc</c> (AppCallback).
    /// </summary>
    public string AppProtocol { get; init; } = "http";

    /// <summary>Host of the app; always loopback here.</summary>
    public string AppHost { get; init; } = "127.0.0.1";

    /// <summary><c>--dapr-http-port</c>; 0 picks a free port.</summary>
    public int HttpPort { get; init; }

    /// <summary><c>--dapr-grpc-port</c>; 0 picks a free port.</summary>
    public int GrpcPort { get; init; }

    /// <summary><c>--resources-path</c> (repeatable): components, subscriptions, resiliency.</summary>
    public IReadOnlyList<string> ResourcesPaths { get; init; } = [];

    /// <summary><c>--config</c>: a Dapr <c>Configuration</c> file.</summary>
    public string? ConfigFile { get; init; }

    /// <summary><c>--data-dir</c>: where the shared SQLite store lives.</summary>
    public string DataDir { get; init; } = ".data";

    /// <summary><c>DAPR_API_TOKEN</c>: when set, callers must send it as <c>dapr-api-token</c>.</summary>
    public string? ApiToken { get; init; }

    /// <summary><c>APP_API_TOKEN</c>: when set, sent to the app as <c>dapr-api-token</c>.</summary>
    public string? AppApiToken { get; init; }

    /// <summary><c>--log-level</c>.</summary>
    public LogLevel LogLevel { get; init; } = LogLevel.Information;

    /// <summary>Clock for retries, cron schedules and CloudEvent times.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>How often to look for messages published by other processes sharing the store.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Extra logging provider setup (tests route logs to their output).</summary>
    public Action<ILoggingBuilder>? ConfigureLogging { get; init; }
}
