using Xunit.Abstractions;
using Xunit.Sdk;

namespace Wharf.Cluster.Tests;

/// <summary>Runs a class's tests in the order of their names (T1_, T2_, ...): the cluster tests
/// share one cluster, and the last one kills a replica.</summary>
public sealed class ByNameOrderer : ITestCaseOrderer
{
    public IEnumerable<TTestCase> OrderTestCases<TTestCase>(IEnumerable<TTestCase> testCases)
        where TTestCase : ITestCase =>
        testCases.OrderBy(t => t.TestMethod.Method.Name, StringComparer.Ordinal);
}
