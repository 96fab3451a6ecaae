using System.Net;
using System.Text;
using Dapr;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Storebridge.Sidecar.Bindings;
using Storebridge.Sidecar.Config;
using Storebridge.Sidecar.Hosting;

namespace Storebridge.Sidecar.Tests;

public sealed class SecurityAndComponentTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Dapr_api_token_is_required_except_on_health_endpoints()
    {
        using var res = new TempResources();
        await using var host = await SidecarHost.StartAsync(res.Options("orders", apiToken: "runtime-secret"), Ct);
        using var http = Clients.Http(host);

        Assert.Equal(HttpStatusCode.NoContent, (await http.GetAsync("/v1.0/healthz", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await http.GetAsync("/v1.0/healthz/outbound", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/v1.0/metadata", Ct)).StatusCode);
        using var wrong = new HttpRequestMessage(HttpMethod.Get, "/v1.0/state/statestore/k");
        wrong.Headers.Add("dapr-api-token", "guess");
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.SendAsync(wrong, Ct)).StatusCode);
        using var right = new HttpRequestMessage(HttpMethod.Get, "/v1.0/state/statestore/k");
        right.Headers.Add("dapr-api-token", "runtime-secret");
        Assert.Equal(HttpStatusCode.NoContent, (await http.SendAsync(right, Ct)).StatusCode);

        using var anonymous = Clients.Dapr(host);
        var ex = await Assert.ThrowsAsync<DaprException>(() => anonymous.GetStateAsync<string>("statestore", "k", cancellationToken: Ct));
        Assert.Equal(StatusCode.Unauthenticated, Assert.IsType<RpcException>(ex.InnerException).StatusCode);

        using var authorised = Clients.Dapr(host, "runtime-secret");
        await authorised.SaveStateAsync("statestore", "k", "v", cancellationToken: Ct);
        Assert.Equal("v", await authorised.GetStateAsync<string>("statestore", "k", cancellationToken: Ct));
    }

    [Fact]
    public async Task App_api_token_is_sent_to_the_app_on_event_delivery()
    {
        using var res = new TempResources();
        await using var app = await TestApp.StartAsync((a, _) => a.MapPost("/tok", () => Results.Ok()).WithTopic("pubsub", "tok"));
        await using var host = await SidecarHost.StartAsync(res.Options("finance", app.Port, appApiToken: "app-secret"), Ct);
        await host.AppReady.WaitAsync(Ct);
        using var dapr = Clients.Dapr(host);

        await dapr.PublishEventAsync("pubsub", "tok", "hello", Ct);

        await Wait.Until(() => app.On("/tok").Any(), "delivered");
        Assert.Equal("app-secret", app.On("/tok").Single().ApiToken);
    }

    [Fact]
    public async Task Local_file_secret_store_flattens_nested_secrets()
    {
        using var res = new TempResources();
        File.WriteAllText(Path.Combine(res.ResourcesDir, "secrets.json"), """{"erp":{"apiKey":"k-1","apiSecret":"s-1"},"webhookSecret":"w-1"}""");
        res.Write("secretstore.yaml", TempResources.Component("localsecrets", "secretstores.local.file", ("secretsFile", "secrets.json"), ("nestedSeparator", ":")));
        await using var host = await SidecarHost.StartAsync(res.Options("orders"), Ct);
        using var dapr = Clients.Dapr(host);
        using var http = Clients.Http(host);

        var secret = await dapr.GetSecretAsync("localsecrets", "erp:apiKey", cancellationToken: Ct);
        Assert.Equal("k-1", secret["erp:apiKey"]);
        var all = await dapr.GetBulkSecretAsync("localsecrets", cancellationToken: Ct);
        Assert.Equal(3, all.Count);
        Assert.Equal("w-1", all["webhookSecret"]["webhookSecret"]);

        var viaHttp = Clients.Json(await http.GetStringAsync("/v1.0/secrets/localsecrets/webhookSecret", Ct));
        Assert.Equal("w-1", viaHttp.GetProperty("webhookSecret").GetString());
        Assert.Equal(HttpStatusCode.NoContent, (await http.GetAsync("/v1.0/secrets/localsecrets/missing", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync("/v1.0/secrets/nostore/x", Ct)).StatusCode);
        await Assert.ThrowsAsync<DaprException>(() => dapr.GetSecretAsync("localsecrets", "missing", cancellationToken: Ct));
    }

    [Fact]
    public async Task Missing_secrets_file_stops_start_unless_the_component_ignores_errors()
    {
        using var res = new TempResources();
        var component = TempResources.Component("localsecrets", "secretstores.local.file", ("secretsFile", "no-such-file.json"));
        var file = res.Write("secrets.yaml", component);

        var ex = await Assert.ThrowsAsync<SidecarConfigException>(() => SidecarHost.StartAsync(res.Options("orders"), Ct));
        Assert.Equal((file, "spec.metadata.secretsFile"), (ex.File, ex.Field));

        res.Write("secrets.yaml", component.Replace("  type: secretstores.local.file\n", "  type: secretstores.local.file\n  ignoreErrors: true\n", StringComparison.Ordinal));
        await using var host = await SidecarHost.StartAsync(res.Options("orders"), Ct);
        using var http = Clients.Http(host);
        Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync("/v1.0/secrets/localsecrets/x", Ct)).StatusCode);
    }

    [Fact]
    public async Task Local_env_secret_store_reads_the_runtime_environment()
    {
        using var res = new TempResources();
        var name = "SIDECAR_TEST_" + Guid.NewGuid().ToString("N").ToUpperInvariant();
        Environment.SetEnvironmentVariable(name, "from-env");
        try
        {
            res.Write("secretstore.yaml", TempResources.Component("envsecrets", "secretstores.local.env"));
            await using var host = await SidecarHost.StartAsync(res.Options("orders"), Ct);
            using var dapr = Clients.Dapr(host);

            var secret = await dapr.GetSecretAsync("envsecrets", name, cancellationToken: Ct);

            Assert.Equal("from-env", secret[name]);
        }
        finally
        {
            Environment.SetEnvironmentVariable(name, null);
        }
    }

    [Fact]
    public async Task Cron_binding_posts_to_the_app_on_schedule()
    {
        using var res = new TempResources();
        res.Write("cron.yaml", TempResources.Component("catalog-sweep", "bindings.cron", ("schedule", "@every 200ms")));
        await using var app = await TestApp.StartAsync((a, _) => a.MapPost("/catalog-sweep", () => Results.Ok()));
        await using var host = await SidecarHost.StartAsync(res.Options("catalog", app.Port, appApiToken: "app-secret"), Ct);

        await Wait.Until(() => app.On("/catalog-sweep").Count() >= 2, "cron fired twice");
        Assert.All(app.On("/catalog-sweep"), r => Assert.Equal("app-secret", r.ApiToken));
    }

    [Theory]
    [InlineData("@every 10s", "2026-01-01T00:00:00Z", "2026-01-01T00:00:10Z")]
    [InlineData("@every 1m30s", "2026-01-01T00:00:00Z", "2026-01-01T00:01:30Z")]
    [InlineData("0 30 * * * *", "2026-01-01T00:00:00Z", "2026-01-01T00:30:00Z")]
    [InlineData("*/15 * * * *", "2026-01-01T00:01:00Z", "2026-01-01T00:15:00Z")]
    [InlineData("@daily", "2026-01-01T05:00:00Z", "2026-01-02T00:00:00Z")]
    public void Cron_schedules_follow_dapr_syntax(string schedule, string from, string expected)
    {
        var next = CronSchedule.Parse(schedule, "cron.yaml").Next(DateTimeOffset.Parse(from, System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), next);
    }

    [Fact]
    public async Task Metadata_lists_components_and_subscriptions()
    {
        using var res = new TempResources();
        await using var app = await TestApp.StartAsync((a, _) => a.MapPost("/m", () => Results.Ok()).WithTopic("pubsub", "meta"));
        await using var host = await SidecarHost.StartAsync(res.Options("finance", app.Port), Ct);
        await host.AppReady.WaitAsync(Ct);
        using var dapr = Clients.Dapr(host);
        using var http = Clients.Http(host);

        var metadata = await dapr.GetMetadataAsync(Ct);
        Assert.Equal("finance", metadata.Id);
        Assert.Contains(metadata.Components, c => c.Name == "statestore" && c.Type == "state.sqlite");

        var json = Clients.Json(await http.GetStringAsync("/v1.0/metadata", Ct));
        Assert.Equal("finance", json.GetProperty("id").GetString());
        Assert.Equal(app.Port, json.GetProperty("appConnectionProperties").GetProperty("port").GetInt32());
        Assert.Equal("meta", json.GetProperty("subscriptions")[0].GetProperty("topic").GetString());
        Assert.Equal(HttpStatusCode.NoContent, (await http.PutAsync("/v1.0/metadata/team", new StringContent("integration", Encoding.UTF8), Ct)).StatusCode);
        Assert.Equal("integration", Clients.Json(await http.GetStringAsync("/v1.0/metadata", Ct)).GetProperty("extended").GetProperty("team").GetString());
    }

    [Fact]
    public async Task Yaml_that_is_not_a_dapr_resource_is_ignored_like_daprd_does()
    {
        using var res = new TempResources();
        res.Write("docker-compose.yaml", "services:\n  db:\n    image: postgres\n");

        await using var host = await SidecarHost.StartAsync(res.Options("orders"), Ct);

        using var dapr = Clients.Dapr(host);
        Assert.Equal(2, (await dapr.GetMetadataAsync(Ct)).Components.Count);
    }

    [Theory]
    [InlineData("constant", 1, 200)]
    [InlineData("constant", 4, 200)]
    [InlineData("exponential", 1, 200)]
    [InlineData("exponential", 3, 450)]
    [InlineData("exponential", 20, 1000)]
    public void Retry_delays_follow_the_policy(string policy, int retry, int expectedMs)
    {
        var p = new RetryPolicy("p", policy == "exponential", TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(1), 3);

        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), p.DelayFor(retry));
        Assert.False(p.Exhausted(3));
        Assert.True(p.Exhausted(4));
        Assert.False(p with { MaxRetries = -1 } is { } forever && forever.Exhausted(1000));
    }

    [Fact]
    public async Task Unsupported_component_type_stops_start_naming_file_and_field()
    {
        using var res = new TempResources();
        var file = res.Write("kafka.yaml", TempResources.Component("bus", "bindings.kafka"));

        var ex = await Assert.ThrowsAsync<SidecarConfigException>(() => SidecarHost.StartAsync(res.Options("orders"), Ct));

        Assert.Equal(file, ex.File);
        Assert.Equal("spec.type", ex.Field);
        Assert.Contains("bindings.kafka", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: [broken\n", "line")]
    [InlineData("apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: s\nspec:\n  version: v1\n", "spec.type")]
    [InlineData("apiVersion: dapr.io/v1alpha1\nkind: Resiliency\nmetadata:\n  name: r\nspec:\n  policies:\n    retries:\n      x:\n        policy: constant\n        duration: soon\n", "spec.policies.retries.x.duration")]
    [InlineData("apiVersion: dapr.io/v1alpha1\nkind: Resiliency\nmetadata:\n  name: r\nspec:\n  targets:\n    components:\n      pubsub:\n        inbound:\n          retry: missing\n", "spec.targets.components.pubsub.inbound.retry")]
    [InlineData("apiVersion: dapr.io/v1alpha1\nkind: Resiliency\nmetadata:\n  name: r\nspec:\n  targets:\n    apps:\n      orders:\n        timeout: missing\n", "spec.targets.apps.orders.timeout")]
    [InlineData("apiVersion: dapr.io/v1alpha1\nkind: Resiliency\nmetadata:\n  name: r\nspec:\n  policies:\n    timeouts:\n      t: later\n", "spec.policies.timeouts.t")]
    [InlineData("apiVersion: dapr.io/v1alpha1\nkind: Resiliency\nmetadata:\n  name: r\nspec:\n  policies:\n    circuitBreakers:\n      cb:\n        trip: failures() > 3\n", "spec.policies.circuitBreakers.cb.trip")]
    [InlineData("apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: c\nspec:\n  type: bindings.cron\n  version: v1\n  metadata:\n    - name: schedule\n      value: \"every day\"\n", "spec.metadata.schedule")]
    [InlineData("apiVersion: dapr.io/v2alpha1\nkind: Subscription\nmetadata:\n  name: s\nspec:\n  topic: t\n", "spec.pubsubname")]
    public async Task Malformed_resources_stop_start_naming_the_field(string yaml, string field)
    {
        using var res = new TempResources();
        var file = res.Write("bad.yaml", yaml);

        var ex = await Assert.ThrowsAsync<SidecarConfigException>(() => SidecarHost.StartAsync(res.Options("orders"), Ct));

        Assert.Equal(file, ex.File);
        Assert.StartsWith(field, ex.Field, StringComparison.Ordinal);
    }
}
