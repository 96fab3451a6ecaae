using System.Reflection;

namespace Storebridge.Contracts.Tests;

public class TopicsTests
{
    [Fact]
    public void Every_topic_constant_names_one_event()
    {
        var constants = typeof(Topics).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Select(f => (string)f.GetRawConstantValue()!)
            .ToList();

        Assert.Equal(constants.Count, constants.Distinct().Count());
        Assert.Equal(constants.Order(), EventCatalog.All.Select(e => e.Topic).Order());
    }
}
