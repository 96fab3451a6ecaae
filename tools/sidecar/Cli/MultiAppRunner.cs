using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Storebridge.Sidecar.Config;
using Storebridge.Sidecar.Hosting;
using YamlDotNet.RepresentationModel;

namespace Storebridge.Sidecar.Cli;

/// <summary>One app of a Dapr CLI multi-app run file.</summary>
internal sealed record RunFileApp(
    string AppId,
    string AppDir,
    int? AppPort,
    string AppProtocol,
    int HttpPort,
    int GrpcPort,
    IReadOnlyList<string> Command,
    IReadOnlyDictionary<string, string> Env,
    IReadOnlyList<string> ResourcesPaths,
    string? ConfigFile);

/// <summary>Reads the multi-app run template (<c>version: 1</c>, <c>common</c>, <c>apps</c>) that <c>dapr run -f</c> reads.</summary>
internal static class RunFile
{
    public static List<RunFileApp> Load(string file)
    {
        if (!File.Exists(file))
        {
            throw new SidecarConfigException(file, "-f", "file does not exist");
        }

        var docs = LoadedResources.ReadDocuments(file);
        if (docs.Count != 1)
        {
            throw new SidecarConfigException(file, "(document)", "expected exactly one YAML document");
        }

        var root = docs[0];
        var baseDir = Path.GetDirectoryName(Path.GetFullPath(file))!;
        if (LoadedResources.Scalar(root, "version") is not "1")
        {
            throw new SidecarConfigException(file, "version", "expected 1");
        }

        var common = root.Children.TryGetValue(new YamlScalarNode("common"), out var c) && c is YamlMappingNode cm ? cm : new YamlMappingNode();
        var commonEnv = Env(common, file, "common.env");
        var commonResources = Paths(common, baseDir, file, "common");
        var commonProtocol = LoadedResources.Scalar(common, "appProtocol");
        var commonConfig = LoadedResources.Scalar(common, "configFilePath");
        if (!root.Children.TryGetValue(new YamlScalarNode("apps"), out var appsNode) || appsNode is not YamlSequenceNode apps || apps.Children.Count == 0)
        {
            throw new SidecarConfigException(file, "apps", "missing or empty");
        }

        var result = new List<RunFileApp>();
        var i = 0;
        foreach (var node in apps)
        {
            var field = $"apps[{i++}]";
            if (node is not YamlMappingNode app)
            {
                throw new SidecarConfigException(file, field, "expected a mapping");
            }

            var appDirText = LoadedResources.Scalar(app, "appDirPath") ?? throw new SidecarConfigException(file, field + ".appDirPath", "missing");
            var appDir = Path.GetFullPath(Path.Combine(baseDir, appDirText));
            var appId = LoadedResources.Scalar(app, "appID") ?? Path.GetFileName(appDir.TrimEnd(Path.DirectorySeparatorChar));
            var command = new List<string>();
            if (app.Children.TryGetValue(new YamlScalarNode("command"), out var cmdNode))
            {
                command = cmdNode is YamlSequenceNode seq
                    ? seq.Children.OfType<YamlScalarNode>().Select(s => s.Value ?? "").ToList()
                    : throw new SidecarConfigException(file, field + ".command", "expected a list, e.g. [\"dotnet\", \"run\"]");
            }

            var env = new Dictionary<string, string>(commonEnv, StringComparer.Ordinal);
            foreach (var (k, v) in Env(app, file, field + ".env"))
            {
                env[k] = v;
            }

            var resources = Paths(app, baseDir, file, field);
            if (resources.Count == 0)
            {
                resources = commonResources.Count > 0 ? commonResources : DefaultResources(appDir);
            }

            var config = LoadedResources.Scalar(app, "configFilePath") ?? commonConfig;
            result.Add(new RunFileApp(
                appId,
                appDir,
                OptionalPort(app, "appPort", file, field),
                LoadedResources.Scalar(app, "appProtocol") ?? commonProtocol ?? "http",
                OptionalPort(app, "daprHTTPPort", file, field) ?? 0,
                OptionalPort(app, "daprGRPCPort", file, field) ?? 0,
                command,
                env,
                resources,
                config is null ? null : Path.GetFullPath(Path.Combine(baseDir, config))));
        }

        return result;
    }

    private static List<string> DefaultResources(string appDir)
    {
        var dir = Path.Combine(appDir, ".dapr", "resources");
        return Directory.Exists(dir) ? [dir] : [];
    }

    private static int? OptionalPort(YamlMappingNode node, string key, string file, string field)
    {
        var text = LoadedResources.Scalar(node, key);
        if (text is null)
        {
            return null;
        }

        return int.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var port) && port is > 0 and < 65536
            ? port
            : throw new SidecarConfigException(file, $"{field}.{key}", $"'{text}' is not a port number");
    }

    private static Dictionary<string, string> Env(YamlMappingNode node, string file, string field)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!node.Children.TryGetValue(new YamlScalarNode("env"), out var envNode))
        {
            return env;
        }

        if (envNode is not YamlMappingNode map)
        {
            throw new SidecarConfigException(file, field, "expected a mapping of NAME: value");
        }

        foreach (var (k, v) in map.Children)
        {
            env[((YamlScalarNode)k).Value ?? ""] = (v as YamlScalarNode)?.Value ?? "";
        }

        return env;
    }

    private static List<string> Paths(YamlMappingNode node, string baseDir, string file, string field)
    {
        var paths = new List<string>();
        if (LoadedResources.Scalar(node, "resourcesPath") is { } single)
        {
            paths.Add(Path.GetFullPath(Path.Combine(baseDir, single)));
        }

        if (node.Children.TryGetValue(new YamlScalarNode("resourcesPaths"), out var many))
        {
            if (many is not YamlSequenceNode seq)
            {
                throw new SidecarConfigException(file, field + ".resourcesPaths", "expected a list");
            }

            paths.AddRange(seq.Children.OfType<YamlScalarNode>().Select(s => Path.GetFullPath(Path.Combine(baseDir, s.Value ?? "."))));
        }

        return paths;
    }
}

/// <summary><c>sidecar run -f dapr.yaml</c>: one runtime per app in this process (one shared store), then the apps.</summary>
internal static partial class MultiAppRunner
{
    public static async Task<int> RunAsync(string[] args)
    {
        string? file = null;
        string dataDir = ".data";
        var logLevel = LogLevel.Information;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "-f" or "--run-file" when i + 1 < args.Length: file = args[++i]; break;
                case "--data-dir" when i + 1 < args.Length: dataDir = args[++i]; break;
                case "--log-level" when i + 1 < args.Length: logLevel = SidecarCli.Level(args[++i]); break;
                default: throw new SidecarConfigException("(flags)", args[i], "unknown flag for 'run' (use: run -f dapr.yaml [--data-dir dir])");
            }
        }

        var apps = RunFile.Load(file ?? throw new SidecarConfigException("(flags)", "-f", "is required"));
        var apiToken = Environment.GetEnvironmentVariable("DAPR_API_TOKEN") is { Length: > 0 } t ? t : null;
        var appToken = Environment.GetEnvironmentVariable("APP_API_TOKEN") is { Length: > 0 } a ? a : null;
        var hosts = new List<SidecarHost>();
        var processes = new List<(RunFileApp App, Process Process)>();
        try
        {
            foreach (var app in apps)
            {
                hosts.Add(await SidecarHost.StartAsync(new SidecarOptions
                {
                    AppId = app.AppId,
                    AppPort = app.AppPort,
                    AppProtocol = app.AppProtocol,
                    HttpPort = app.HttpPort,
                    GrpcPort = app.GrpcPort,
                    ResourcesPaths = app.ResourcesPaths,
                    ConfigFile = app.ConfigFile,
                    DataDir = dataDir,
                    LogLevel = logLevel,
                    ApiToken = apiToken,
                    AppApiToken = appToken,
                }).ConfigureAwait(false));
                Console.WriteLine($"== sidecar == {app.AppId}: HTTP {hosts[^1].HttpPort}, gRPC {hosts[^1].GrpcPort}");
            }

            for (var i = 0; i < apps.Count; i++)
            {
                if (apps[i].Command.Count > 0)
                {
                    processes.Add((apps[i], StartApp(apps[i], hosts[i], appToken)));
                }
            }

            await SidecarCli.WaitForShutdownAsync().ConfigureAwait(false);
            Console.WriteLine("== sidecar == stopping apps and runtimes");
            return 0;
        }
        finally
        {
            await Task.WhenAll(processes.Select(p => StopAsync(p.Process))).ConfigureAwait(false);
            foreach (var host in hosts)
            {
                await host.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private static Process StartApp(RunFileApp app, SidecarHost host, string? appToken)
    {
        var start = new ProcessStartInfo(app.Command[0])
        {
            WorkingDirectory = app.AppDir,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in app.Command.Skip(1))
        {
            start.ArgumentList.Add(arg);
        }

        // The environment `dapr run -f` gives an app.
        start.Environment["DAPR_HTTP_PORT"] = host.HttpPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["DAPR_GRPC_PORT"] = host.GrpcPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["APP_ID"] = app.AppId;
        if (app.AppPort is { } port)
        {
            start.Environment["APP_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        if (appToken is not null)
        {
            start.Environment["APP_API_TOKEN"] = appToken;
        }

        foreach (var (k, v) in app.Env)
        {
            start.Environment[k] = v;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {app.Command[0]} for app {app.AppId}");
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { Console.WriteLine($"== APP - {app.AppId} == {e.Data}"); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { Console.Error.WriteLine($"== APP - {app.AppId} == {e.Data}"); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    // SIGTERM first so apps shut down cleanly; whatever is left after 10 s is killed with its children.
    private static async Task StopAsync(Process process)
    {
        using (process)
        {
            if (process.HasExited)
            {
                return;
            }

            if (!OperatingSystem.IsWindows())
            {
                _ = Kill(process.Id, 15);
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
