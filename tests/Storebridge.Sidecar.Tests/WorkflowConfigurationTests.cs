using Storebridge.Sidecar.Config;

namespace Storebridge.Sidecar.Tests;

/// <summary>The <c>--config</c> Configuration's <c>spec.workflow</c> limits, as daprd reads them.</summary>
public sealed class WorkflowConfigurationTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("sb-config-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string Config(string workflow)
    {
        var path = Path.Combine(_directory, "config.yaml");
        File.WriteAllText(path, $"""
            apiVersion: dapr.io/v1alpha1
            kind: Configuration
            metadata:
              name: appconfig
            spec:
            {workflow}
            """);
        return path;
    }

    [Fact]
    public void The_workflow_limits_of_the_configuration_are_read()
    {
        var loaded = LoadedResources.Load([_directory], "orders",
            Config("  workflow:\n    maxConcurrentWorkflowInvocations: 16\n    maxConcurrentActivityInvocations: 32"));

        Assert.Equal(new WorkflowLimits(16, 32), loaded.Workflow);
    }

    [Fact]
    public void Without_a_workflow_section_both_are_unlimited()
    {
        var loaded = LoadedResources.Load([_directory], "orders", Config("  tracing:\n    samplingRate: \"1\""));

        Assert.Equal(new WorkflowLimits(null, null), loaded.Workflow);
    }

    [Fact]
    public void A_limit_that_is_not_a_positive_number_stops_the_runtime_naming_the_field()
    {
        var ex = Assert.Throws<SidecarConfigException>(() =>
            LoadedResources.Load([_directory], "orders", Config("  workflow:\n    maxConcurrentActivityInvocations: lots")));

        Assert.Equal("spec.workflow.maxConcurrentActivityInvocations", ex.Field);
        Assert.Contains("lots", ex.Message, StringComparison.Ordinal);
    }
}
