using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Storebridge.Sidecar.Config;
using Storebridge.Sidecar.Hosting;

namespace Storebridge.Sidecar.Cli;

/// <summary>
/// Command line: <c>sidecar --app-id X [daprd flags]</c> runs one runtime;
/// <c>sidecar run -f dapr.yaml</c> runs a Dapr CLI multi-app run file.
/// </summary>
internal static class SidecarCli
{
    public const string Usage = """
        usage: sidecar --app-id <id> [--app-port <port>] [--app-protocol http|grpc] [--dapr-http-port <port>]
                       [--dapr-grpc-port <port>] [--resources-path <dir>]... [--config <file>]
                       [--log-level debug|info|warn|error] [--data-dir <dir>]
               sidecar run -f <dapr.yaml> [--data-dir <dir>] [--log-level <level>]
        env: DAPR_API_TOKEN (required from callers when set), APP_API_TOKEN (sent to the app)
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        try
        {
            if (args is ["run", ..])
            {
                return await MultiAppRunner.RunAsync(args[1..]).ConfigureAwait(false);
            }

            if (args is [] or ["--help"] or ["-h"])
            {
                Console.WriteLine(Usage);
                return args.Length == 0 ? 2 : 0;
            }

            var options = ParseFlags(args);
            await using var host = await SidecarHost.StartAsync(options).ConfigureAwait(false);
            Console.WriteLine($"sidecar: app '{host.AppId}' ready: HTTP {host.HttpPort}, gRPC {host.GrpcPort}");
            await WaitForShutdownAsync().ConfigureAwait(false);
            return 0;
        }
        catch (SidecarConfigException ex)
        {
            await Console.Error.WriteLineAsync($"sidecar: configuration error: {ex.Message}").ConfigureAwait(false);
            return 1;
        }
        catch (ArgumentException ex)
        {
            await Console.Error.WriteLineAsync($"sidecar: {ex.Message}\n{Usage}").ConfigureAwait(false);
            return 2;
        }
    }

    /// <summary>Parses daprd-style flags (<c>--flag value</c> or <c>--flag=value</c>).</summary>
    public static SidecarOptions ParseFlags(IReadOnlyList<string> args)
    {
        string? appId = null, appProtocol = null, config = null, dataDir = null;
        int? appPort = null;
        int httpPort = 0, grpcPort = 0;
        var logLevel = LogLevel.Information;
        var resources = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            string? inline = null;
            if (arg.StartsWith("--", StringComparison.Ordinal) && arg.Contains('=', StringComparison.Ordinal))
            {
                inline = arg[(arg.IndexOf('=', StringComparison.Ordinal) + 1)..];
                arg = arg[..arg.IndexOf('=', StringComparison.Ordinal)];
            }

            string Value() => inline ?? (++i < args.Count ? args[i] : throw new SidecarConfigException("(flags)", arg, "needs a value"));

            switch (arg)
            {
                case "--app-id": appId = Value(); break;
                case "--app-port": appPort = Port(arg, Value()); break;
                case "--app-protocol": appProtocol = Value(); break;
                case "--dapr-http-port": httpPort = Port(arg, Value()); break;
                case "--dapr-grpc-port": grpcPort = Port(arg, Value()); break;
                case "--resources-path" or "--components-path": resources.Add(Value()); break;
                case "--config": config = Value(); break;
                case "--data-dir": dataDir = Value(); break;
                case "--log-level": logLevel = Level(Value()); break;
                case "--enable-api-logging": break;
                default: throw new SidecarConfigException("(flags)", arg, "unknown flag");
            }
        }

        return new SidecarOptions
        {
            AppId = appId ?? throw new SidecarConfigException("(flags)", "--app-id", "is required"),
            AppPort = appPort,
            AppProtocol = appProtocol ?? "http",
            HttpPort = httpPort,
            GrpcPort = grpcPort,
            ResourcesPaths = resources,
            ConfigFile = config,
            DataDir = dataDir ?? ".data",
            LogLevel = logLevel,
            ApiToken = Environment.GetEnvironmentVariable("DAPR_API_TOKEN") is { Length: > 0 } t ? t : null,
            AppApiToken = Environment.GetEnvironmentVariable("APP_API_TOKEN") is { Length: > 0 } a ? a : null,
        };
    }

    public static LogLevel Level(string text) => text switch
    {
        "debug" => LogLevel.Debug,
        "info" => LogLevel.Information,
        "warn" => LogLevel.Warning,
        "error" => LogLevel.Error,
        "fatal" => LogLevel.Critical,
        _ => throw new SidecarConfigException("(flags)", "--log-level", $"expected debug, info, warn or error, found '{text}'"),
    };

    private static int Port(string flag, string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and < 65536
            ? port
            : throw new SidecarConfigException("(flags)", flag, $"'{text}' is not a port number");

    /// <summary>Completes on Ctrl-C or SIGTERM.</summary>
    public static async Task WaitForShutdownAsync()
    {
        var stop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.TrySetResult(); });
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.TrySetResult(); });
        await stop.Task.ConfigureAwait(false);
    }
}
