using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Storebridge.Sidecar.Cli;
using Storebridge.Sidecar.Config;
using Storebridge.Sidecar.Hosting;
using Storebridge.Testing;

namespace Storebridge.Sidecar.Tests;

/// <summary>The runtime as a separate process: kill -9, CLI errors, multi-app run files.</summary>
public sealed class ProcessTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string SidecarDll => Path.Combine(AppContext.BaseDirectory, "Storebridge.Sidecar.dll");

    [Fact]
    public async Task Acknowledged_state_and_in_flight_events_survive_kill_9_of_the_runtime()
    {
        using var res = new TempResources();
        res.WriteRetryPolicy(maxRetries: -1, duration: "50ms");
        var blocked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var app = await TestApp.StartAsync((a, _) => a.MapPost("/slow", async () =>
        {
            // While the first runtime lives, every delivery hangs: all events are in flight when it is killed.
            await blocked.Task.WaitAsync(TimeSpan.FromSeconds(30));
            return Results.Ok();
        }).WithTopic("pubsub", "slow"));
        var httpPort = ReservedPort.Next();
        using var child = Start("--app-id", "finance", "--app-port", app.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--dapr-http-port", httpPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "--dapr-grpc-port", ReservedPort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--resources-path", res.ResourcesDir, "--data-dir", res.DataDir, "--log-level", "error");
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}") };
            await WaitHealthyAsync(http, child);

            var save = await http.PostAsync("/v1.0/state/statestore", new StringContent("""[{"key":"invoice-7","value":{"posted":true}}]""", Encoding.UTF8, "application/json"), Ct);
            Assert.Equal(HttpStatusCode.NoContent, save.StatusCode);
            for (var i = 0; i < 5; i++)
            {
                var publish = await http.PostAsync("/v1.0/publish/pubsub/slow", new StringContent($$"""{"n":{{i}}}""", Encoding.UTF8, "application/json"), Ct);
                Assert.Equal(HttpStatusCode.NoContent, publish.StatusCode);
            }

            await Wait.Until(() => app.On("/slow").Count() == 5, "5 deliveries in flight");
        }
        finally
        {
            child.Kill();
            await child.WaitForExitAsync(Ct);
        }

        blocked.SetResult();
        await using var restarted = await SidecarHost.StartAsync(res.Options("finance", app.Port), Ct);
        await Wait.Until(() => app.On("/slow").Count() >= 10 && restarted.PendingDeliveries == 0, "5 events redelivered after kill -9");
        Assert.Equal(5, app.On("/slow").Select(r => Clients.Json(r.Body).GetProperty("id").GetString()).Distinct().Count());
        using var http2 = Clients.Http(restarted);
        Assert.Equal("""{"posted":true}""", await http2.GetStringAsync("/v1.0/state/statestore/invoice-7", Ct));
    }

    [Fact]
    public async Task Events_published_by_a_runtime_in_another_process_reach_this_processes_subscriber()
    {
        using var res = new TempResources();
        await using var app = await TestApp.StartAsync((a, _) => a.MapPost("/cross", () => Results.Ok()).WithTopic("pubsub", "cross"));
        await using var finance = await SidecarHost.StartAsync(res.Options("finance", app.Port), Ct);
        await finance.AppReady.WaitAsync(Ct);
        var httpPort = ReservedPort.Next();
        using var child = Start("--app-id", "orders", "--dapr-http-port", httpPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--dapr-grpc-port", ReservedPort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture), "--resources-path", res.ResourcesDir, "--data-dir", res.DataDir, "--log-level", "error");
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}") };
            await WaitHealthyAsync(http, child);

            var publish = await http.PostAsync("/v1.0/publish/pubsub/cross", new StringContent("""{"from":"other process"}""", Encoding.UTF8, "application/json"), Ct);

            Assert.Equal(HttpStatusCode.NoContent, publish.StatusCode);
            await Wait.Until(() => app.On("/cross").Any() && finance.PendingDeliveries == 0, "delivered across processes");
            Assert.Equal("orders", Clients.Json(app.On("/cross").Single().Body).GetProperty("source").GetString());
        }
        finally
        {
            child.Kill();
            await child.WaitForExitAsync(Ct);
        }
    }

    [Fact]
    public async Task Configuration_error_exits_with_a_message_naming_file_and_field()
    {
        using var res = new TempResources();
        var file = res.Write("broken.yaml", TempResources.Component("x", "state.sqlite").Replace("  type: state.sqlite\n", "", StringComparison.Ordinal));
        using var child = Start("--app-id", "orders", "--resources-path", res.ResourcesDir, "--data-dir", res.DataDir);

        var stderr = await child.StandardError.ReadToEndAsync(Ct);
        await child.WaitForExitAsync(Ct);

        Assert.Equal(1, child.ExitCode);
        Assert.Contains(file, stderr, StringComparison.Ordinal);
        Assert.Contains("spec.type", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Flags_parse_like_daprd()
    {
        var options = SidecarCli.ParseFlags(["--app-id", "orders", "--app-port=5001", "--app-protocol", "h2c", "--dapr-http-port", "3501",
            "--dapr-grpc-port", "50001", "--resources-path", "a", "--resources-path", "b", "--config", "c.yaml", "--log-level", "debug", "--data-dir", "d"]);

        Assert.Equal("orders", options.AppId);
        Assert.Equal(5001, options.AppPort);
        Assert.Equal("h2c", options.AppProtocol);
        Assert.Equal(3501, options.HttpPort);
        Assert.Equal(50001, options.GrpcPort);
        Assert.Equal(["a", "b"], options.ResourcesPaths);
        Assert.Equal("c.yaml", options.ConfigFile);
        Assert.Equal("d", options.DataDir);
        Assert.Equal("--app-port", Assert.Throws<SidecarConfigException>(() => SidecarCli.ParseFlags(["--app-id", "x", "--app-port", "http"])).Field);
        Assert.Equal("--bogus", Assert.Throws<SidecarConfigException>(() => SidecarCli.ParseFlags(["--app-id", "x", "--bogus", "1"])).Field);
    }

    [Fact]
    public void Run_file_is_read_like_the_dapr_cli_multi_app_template()
    {
        using var res = new TempResources();
        Directory.CreateDirectory(Path.Combine(res.Root, "services", "orders"));
        var file = Path.Combine(res.Root, "dapr.yaml");
        File.WriteAllText(file, """
            version: 1
            common:
              resourcesPath: ./resources
              env:
                ASPNETCORE_ENVIRONMENT: Development
            apps:
              - appID: orders
                appDirPath: ./services/orders
                appPort: 5001
                appProtocol: h2c
                daprHTTPPort: 3501
                daprGRPCPort: 50001
                command: ["dotnet", "run"]
                env:
                  ORDERS_FLAG: "on"
              - appID: worker
                appDirPath: ./services/orders
            """);

        var apps = RunFile.Load(file);

        Assert.Equal(2, apps.Count);
        var orders = apps[0];
        Assert.Equal("orders", orders.AppId);
        Assert.Equal(Path.Combine(res.Root, "services", "orders"), orders.AppDir);
        Assert.Equal((5001, "h2c", 3501, 50001), (orders.AppPort!.Value, orders.AppProtocol, orders.HttpPort, orders.GrpcPort));
        Assert.Equal(["dotnet", "run"], orders.Command);
        Assert.Equal("Development", orders.Env["ASPNETCORE_ENVIRONMENT"]);
        Assert.Equal("on", orders.Env["ORDERS_FLAG"]);
        Assert.Equal([res.ResourcesDir], orders.ResourcesPaths);
        Assert.Null(apps[1].AppPort);
        Assert.Equal(0, apps[1].HttpPort);
    }

    [Fact]
    public async Task Run_file_starts_each_app_with_the_dapr_environment_and_ctrl_c_stops_everything()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Skip("uses POSIX signals and sh");
        }

        using var res = new TempResources();
        var appDir = Path.Combine(res.Root, "app");
        Directory.CreateDirectory(appDir);
        var httpPort = ReservedPort.Next();
        var file = Path.Combine(res.Root, "dapr.yaml");
        File.WriteAllText(file, $$"""
            version: 1
            common:
              resourcesPath: ./resources
            apps:
              - appID: orders
                appDirPath: ./app
                daprHTTPPort: {{httpPort}}
                command: ["sh", "-c", "echo \"$APP_ID $DAPR_HTTP_PORT $DAPR_GRPC_PORT $EXTRA\" > env.txt; exec sleep 60"]
                env:
                  EXTRA: from-run-file
            """);
        using var child = Start("run", "-f", file, "--data-dir", res.DataDir, "--log-level", "error");
        try
        {
            var envFile = Path.Combine(appDir, "env.txt");
            await Wait.Until(() => File.Exists(envFile) && File.ReadAllText(envFile).Contains("from-run-file", StringComparison.Ordinal), "app started", 30);
            var env = File.ReadAllText(envFile).Trim().Split(' ');
            Assert.Equal("orders", env[0]);
            Assert.Equal(httpPort.ToString(System.Globalization.CultureInfo.InvariantCulture), env[1]);
            using var http = new HttpClient();
            Assert.Equal(HttpStatusCode.NoContent, (await http.GetAsync($"http://127.0.0.1:{httpPort}/v1.0/healthz", Ct)).StatusCode);
            using var grpcProbe = new TcpClient();
            await grpcProbe.ConnectAsync(IPAddress.Loopback, int.Parse(env[2], System.Globalization.CultureInfo.InvariantCulture), Ct);

            using (var interrupt = Process.Start("kill", ["-INT", child.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await interrupt.WaitForExitAsync(Ct);
            }

            await child.WaitForExitAsync(Ct).WaitAsync(TimeSpan.FromSeconds(20), Ct);
            Assert.Equal(0, child.ExitCode);
            Assert.DoesNotContain(Process.GetProcessesByName("sleep"), p => IsChildOfApp(p, appDir));
        }
        finally
        {
            if (!child.HasExited)
            {
                child.Kill(entireProcessTree: true);
            }
        }
    }

    private static bool IsChildOfApp(Process process, string appDir)
    {
        try
        {
            return File.Exists($"/proc/{process.Id}/cwd") || Directory.Exists($"/proc/{process.Id}/cwd")
                ? new DirectoryInfo($"/proc/{process.Id}/cwd").ResolveLinkTarget(true)?.FullName == appDir
                : false;
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static Process Start(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add(SidecarDll);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Remove("DAPR_API_TOKEN");
        start.Environment.Remove("APP_API_TOKEN");
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        return process;
    }

    private static async Task WaitHealthyAsync(HttpClient http, Process child)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (child.HasExited)
            {
                Assert.Fail("sidecar exited: " + await child.StandardError.ReadToEndAsync(Ct));
            }

            try
            {
                if ((await http.GetAsync("/v1.0/healthz", Ct)).StatusCode == HttpStatusCode.NoContent)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(50, Ct);
        }

        Assert.Fail("sidecar did not become healthy");
    }

}
